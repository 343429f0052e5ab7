#include "cli_common.hpp"

int main(int argc, char** argv) { return shardwise::cli::run(argc, argv); }
