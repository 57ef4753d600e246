package bench

// Single-call micro benchmarks: a decision without options, with a profile on a segmented campaign,
// and with a profile on a campaign without segments (the cost of passing options alone).

import (
	"testing"

	"github.com/libvwo/libvwo/bindings/go/bench/internal/workload"
)

func BenchmarkMicroNoOptions(b *testing.B) {
	s := loadSettings(b)
	inst := launch(b, s, nil)
	for i := 0; i < b.N; i++ {
		inst.GetVariationName("ab_homepage_hero", "user_123", nil)
	}
}

func BenchmarkMicroOptions(b *testing.B) {
	s := loadSettings(b)
	inst := launch(b, s, nil)
	for i := 0; i < b.N; i++ {
		inst.GetVariationName("ab_checkout_button", "user_123", workload.ProfileOptions[0])
	}
}

func BenchmarkMicroOptionsUnsegmented(b *testing.B) {
	s := loadSettings(b)
	inst := launch(b, s, nil)
	for i := 0; i < b.N; i++ {
		inst.GetVariationName("ab_homepage_hero", "user_123", workload.ProfileOptions[0])
	}
}
