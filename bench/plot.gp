# make bench's plot: gnuplot -e "dir='build/bench'; machine='...'" bench/plot.gp
# Left: Mpps per path (median, min-max bars), coloured by direction.
# Right: polyport's cost per frame (ns on the one CPU: generator + path + sink)
# against the number of configured service ports, with the forwarding ceiling.
if (!exists("dir")) dir = "build/bench"
if (!exists("machine")) machine = ""
set terminal pngcairo size 1600,900 font "DejaVu Sans,10"
set output dir."/bench.png"
set multiplot layout 1,2 title "polyport: make bench (64-byte frames, one CPU: generator + path + sink) ".machine font ",12"

set size 0.66,0.95
set origin 0,0
set title "Mpps per path (median; bars: min-max of the repetitions)"
set style fill solid 0.8 border -1
set boxwidth 0.7
set xtics rotate by 60 right font ",8" nomirror
set ytics nomirror
set grid ytics
set ylabel "Mpps"
set yrange [0:*]
set xrange [-0.7:*]
set key top right
set bmargin 12
plot dir."/paths.dat" using 1:($6==1?$3:1/0):xtic(2) with boxes lc rgb "#1f77b4" title "VM -> network (veth)", \
     "" using 1:($6==2?$3:1/0):xtic(2) with boxes lc rgb "#ff7f0e" title "network -> VM (veth)", \
     "" using 1:($6==3?$3:1/0):xtic(2) with boxes lc rgb "#2ca02c" title "tap: VM -> network (write())", \
     "" using 1:($6==4?$3:1/0):xtic(2) with boxes lc rgb "#9467bd" title "tap: network -> VM (read())", \
     "" using 1:3:4:5 with yerrorbars lc rgb "black" pt -1 notitle, \
     "" using 1:($5+0.25):(sprintf("%.2f", $3)) with labels font ",8" notitle

set size 0.34,0.95
set origin 0.66,0
set title "polyport XDP: cost per frame vs service ports\n(frames round-robin over every configured port)"
set logscale x
set xrange [0.5:300000]
set xtics rotate by 0 center font ",9" ("1" 1, "4,094\n(1 instance port)" 4094, "100,000\n(1,000 x 100)" 100000)
set xlabel "service ports configured" offset 0,-1
set ylabel "ns per frame (one CPU)"
set yrange [0:*]
set bmargin 7
set key bottom right
plot dir."/scale.dat" index 0 using 1:2:3:4 with yerrorlines lw 2 pt 7 lc rgb "#1f77b4" title "VM -> network: classify + pop + push", \
     "" index 1 using 1:2:3:4 with yerrorlines lw 2 pt 7 lc rgb "#ff7f0e" title "network -> VM: lookup + pop + push", \
     "" index 0 using 1:5 with lines dt 2 lw 1.5 lc rgb "#1f77b4" title "forwarding ceiling (VM -> network)", \
     "" index 1 using 1:5 with lines dt 2 lw 1.5 lc rgb "#ff7f0e" title "forwarding ceiling (network -> VM)"
unset multiplot
