module blockwatch/gobench

go 1.19
