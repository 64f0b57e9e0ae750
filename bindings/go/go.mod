module weave-feedback/bindings/go

go 1.19
