module github.com/libvwo/libvwo/bindings/go

go 1.22
