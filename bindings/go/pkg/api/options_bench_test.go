package api_test

import (
	"testing"

	"github.com/libvwo/libvwo/bindings/go/pkg/api"
)

func BenchmarkAppendOptions(b *testing.B) {
	o := map[string]interface{}{"customVariables": profile}
	var buf []byte
	for i := 0; i < b.N; i++ {
		buf, _ = api.AppendOptions(buf[:0], o)
	}
}
