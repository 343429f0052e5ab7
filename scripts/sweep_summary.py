#!/usr/bin/env python3
# Worst PCC and errors per dtype from a conv2d sweep run with --gtest_output=xml:FILE.
import sys, xml.etree.ElementTree as ET
res={}
for tc in ET.parse(sys.argv[1]).iter('testcase'):
    props={p.get('name'):float(p.get('value')) for p in tc.iter('property')}
    if 'pcc' not in props: continue
    d='float32' if tc.get('name').endswith('_f32') else 'bfloat16'
    r=res.setdefault(d,[0,1.0,0.0,0.0])
    r[0]+=1; r[1]=min(r[1],props['pcc']); r[2]=max(r[2],props['norm_max_err']); r[3]=max(r[3],props['max_abs_err'])
for d,(n,p,e,a) in sorted(res.items()): print('%-8s cases %5d  worst pcc %.7f  worst norm max err %.3e  worst max abs err %.3e'%(d,n,p,e,a))
