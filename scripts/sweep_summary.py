#!/usr/bin/env python3
"""Worst PCC and errors of a conv2d sweep, per suite and dtype, from the gtest XML
files of one run (--gtest_output=xml:FILE; one file per shard). Failures are counted."""
import sys
import xml.etree.ElementTree as ET

results = {}
failures = 0
for path in sys.argv[1:]:
    for tc in ET.parse(path).iter('testcase'):
        if tc.find('failure') is not None:
            failures += 1
        props = {p.get('name'): float(p.get('value')) for p in tc.iter('property')}
        if 'pcc' not in props:
            continue
        suite = tc.get('classname', '').split('/')[-1]
        dtype = 'float32' if tc.get('name').endswith('_f32') else 'bfloat16'
        r = results.setdefault((suite, dtype), [0, 1.0, 0.0, 0.0])
        r[0] += 1
        r[1] = min(r[1], props['pcc'])
        r[2] = max(r[2], props['norm_max_err'])
        r[3] = max(r[3], props['max_abs_err'])
for (suite, dtype), (n, pcc, norm, abs_err) in sorted(results.items()):
    print('%-14s %-8s cases %6d  worst pcc %.7f  worst norm max err %.3e  worst max abs err %.3e'
          % (suite, dtype, n, pcc, norm, abs_err))
print('failures', failures)
