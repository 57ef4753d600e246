// The same-run comparison of libvwo's Go binding with vwo-go-sdk (make bench-go). A module of its own
// so that vwo-go-sdk, whose source is in shared/peers beside the repository (the Go module proxy does
// not serve it), never becomes a dependency of the binding's module; make dist leaves nested modules
// out of the published zip.
module github.com/libvwo/libvwo/bindings/go/bench/compare

go 1.22

require (
	github.com/libvwo/libvwo/bindings/go v0.0.0
	github.com/wingify/vwo-go-sdk v1.25.0
)

require (
	github.com/google/uuid v1.1.1 // indirect
	github.com/satori/go.uuid v1.2.0 // indirect
	github.com/spaolacci/murmur3 v1.1.0 // indirect
)

replace github.com/libvwo/libvwo/bindings/go => ../..

replace github.com/wingify/vwo-go-sdk => ../../../../../shared/peers/vwo-go-sdk
