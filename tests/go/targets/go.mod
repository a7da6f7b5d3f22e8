module blockwatch/gotargets

go 1.19
