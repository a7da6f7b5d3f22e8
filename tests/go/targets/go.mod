module blockwatch/gotargets

go 1.19

require google.golang.org/grpc v0.0.0

replace google.golang.org/grpc => ./grpcleak/grpc
