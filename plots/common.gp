# plots/common.gp: what every plot shares. Each plots/NAME.gp loads it first; the
# caller sets the input CSV and the output PNG (run from the repository root):
#   gnuplot -e "csv='results/NAME.csv'; out='plots/out/NAME.png'" plots/NAME.gp
# Plots read their CSV alone: data by column name, and the machine, date and
# mode from its '#' metadata lines (plots/meta.awk), printed in the bottom corner.
if (!exists("csv") || !exists("out")) {
    print "usage: gnuplot -e \"csv='results/NAME.csv'; out='plots/out/NAME.png'\" plots/NAME.gp"
    exit status 2
}
if (!exists("width")) width = 1000
set terminal pngcairo size width,640 noenhanced font 'DejaVu Sans,11'
set output out
set datafile separator ','
set datafile commentschars '#'
set datafile columnheaders
set grid lc rgb '#dddddd'
set key noautotitle
set border lc rgb '#444444'
machine = system("awk -f plots/meta.awk '" . csv . "'")
set label 100 machine at screen 0.008, screen 0.982 left font ',8' tc rgb '#666666'

# One colour per series name, the same in every plot.
color(name) = name eq 'inproc' ? '#000000' : name eq 'pipe' ? '#1f77b4' : \
    name eq 'socketpair' ? '#ff7f0e' : name eq 'shm' ? '#2ca02c' : \
    name eq 'processes' ? '#1f77b4' : name eq 'threads-global' ? '#d62728' : \
    name eq 'threads-sharded' ? '#2ca02c' : '#9467bd'
