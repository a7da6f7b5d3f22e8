module blockwatch/gobinfixture

go 1.19
