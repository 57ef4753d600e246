//go:build race

package wingify_test

const raceEnabled = true
