// Package events holds a real sample payload for every trigger source and platform (fc/, http/,
// lambda/), the manifest that says how each is sent (manifest.json) and the demo configuration
// (demo.yaml). They are embedded, so tests, `make demo` and the docs read the same bytes.
package events

import "embed"

// FS is the samples: manifest.json, demo.yaml, fc/*, http/*, lambda/*.
//
//go:embed manifest.json demo.yaml fc http lambda
var FS embed.FS

// Read returns one embedded sample; a name that is not embedded is a programming error.
func Read(name string) []byte {
	b, err := FS.ReadFile(name)
	if err != nil {
		panic("events: no sample " + name)
	}
	return b
}
