#!/usr/bin/env python3
# `make bench-history`: one container's month at 10 s as cAdvisor would expose
# it to Prometheus (CPU, working set, network and block counters), in
# OpenMetrics text with timestamps, for `promtool tsdb create-blocks-from`.
# usage: prometheus-month.py <end, unix seconds> > month.om
import sys, math, random
random.seed(1)
end = int(sys.argv[1]); step = 10; n = 30*24*360
start = end - n*step
names = [("container_cpu_usage_seconds_total","counter"),("container_memory_working_set_bytes","gauge"),
         ("container_network_receive_bytes_total","counter"),("container_network_transmit_bytes_total","counter"),
         ("container_fs_reads_bytes_total","counter"),("container_fs_writes_bytes_total","counter")]
out = sys.stdout
cpu=rx=tx=rd=wr=0.0
vals = {k: [] for k,_ in names}
for i in range(n):
    t = start + i*step
    cpu += step * (0.3 + 0.2*math.sin(i/500.0) + random.random()*0.05)
    rx += step * (2000 + random.randint(0,300)); tx += step*(600+random.randint(0,100)); wr += step*random.randint(0,50)
    mem = 64*2**20 + random.randint(0,96)*4096
    for k,v in zip([n_ for n_,_ in names],[cpu,mem,rx,tx,rd,wr]):
        vals[k].append((t,v))
for (k,typ) in names:
    base = k[:-6] if k.endswith("_total") and typ=="counter" else k
    out.write(f"# TYPE {base} {typ}\n")
    for t,v in vals[k]:
        out.write(f'{k}{{name="web",id="/docker/abc"}} {v:.6g} {t}\n')
out.write("# EOF\n")
