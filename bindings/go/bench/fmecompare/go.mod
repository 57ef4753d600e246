// The same-run FW1 comparison of libvwo's FME Go binding with the official FME Go SDK (make
// bench-go-fme). A module of its own so that vwo-fme-go-sdk and wingify-fme-go-sdk, whose source is in
// shared/peers beside the repository (the Go module proxy does not serve them), never become
// dependencies of the binding's module; make dist leaves nested modules out of the published zip.
module github.com/libvwo/libvwo/bindings/go/bench/fmecompare

go 1.22

require (
	github.com/libvwo/libvwo/bindings/go v0.0.0
	github.com/wingify/vwo-fme-go-sdk v0.0.0
)

require (
	github.com/google/uuid v1.6.0 // indirect
	github.com/spaolacci/murmur3 v1.1.0 // indirect
	github.com/wingify/wingify-fme-go-sdk v1.60.0 // indirect
)

replace github.com/libvwo/libvwo/bindings/go => ../..

replace github.com/wingify/vwo-fme-go-sdk => ../../../../../shared/peers/vwo-fme-go-sdk

replace github.com/wingify/wingify-fme-go-sdk => ../../../../../shared/peers/wingify-fme-go-sdk
