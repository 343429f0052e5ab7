#include <gtest/gtest.h>

#include "core/activation.hpp"
#include "core/data_type.hpp"
#include "core/error.hpp"

namespace shardwise {
namespace {

TEST(DataType, TileSizesMatchTheReference) {
  EXPECT_EQ(tile_size(DataType::FLOAT32), 4096u);
  EXPECT_EQ(tile_size(DataType::BFLOAT16), 2048u);
  EXPECT_EQ(tile_size(DataType::BFLOAT8_B), 1088u);
  EXPECT_EQ(tile_size(DataType::BFLOAT4_B), 576u);
  EXPECT_EQ(tile_size(DataType::UINT16), 2048u);
  EXPECT_EQ(tile_size(DataType::UINT32), 4096u);
  EXPECT_EQ(tile_size(DataType::INT32), 4096u);
}

TEST(DataType, ElementSizes) {
  EXPECT_EQ(element_size(DataType::FLOAT32), 4u);
  EXPECT_EQ(element_size(DataType::BFLOAT16), 2u);
  EXPECT_EQ(element_size(DataType::UINT16), 2u);
  EXPECT_THROW(element_size(DataType::BFLOAT8_B), InvalidArgument);
}

TEST(DataType, ParsesNamesAndRejectsUnknownOnesByName) {
  EXPECT_EQ(parse_data_type("bfloat8_b"), DataType::BFLOAT8_B);
  EXPECT_EQ(parse_data_type("BFLOAT16"), DataType::BFLOAT16);
  for (auto d : {DataType::FLOAT32, DataType::BFLOAT16, DataType::BFLOAT8_B, DataType::BFLOAT4_B, DataType::UINT16,
                 DataType::UINT32, DataType::INT32})
    EXPECT_EQ(parse_data_type(to_string(d)), d);
  try {
    parse_data_type("float16");
    FAIL() << "float16 accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'float16'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("bfloat4_b"), std::string::npos) << e.what();
  }
}

TEST(Activation, ParsesNames) {
  EXPECT_EQ(parse_activation("relu6"), Activation::RELU6);
  EXPECT_EQ(parse_activation("GELU"), Activation::GELU);
  EXPECT_EQ(parse_activation(""), Activation::NONE);
  EXPECT_EQ(parse_activation("Leaky_Relu"), Activation::LEAKY_RELU);
  for (Activation a : {Activation::SIGMOID, Activation::TANH, Activation::HARDSWISH, Activation::LEAKY_RELU})
    EXPECT_EQ(parse_activation(to_string(a)), a);
  try {
    parse_activation("softplus");
    ADD_FAILURE() << "softplus was accepted";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("'softplus': allowed are none, relu, relu6, silu, gelu, sigmoid, tanh, hardswish, leaky_relu"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace shardwise
