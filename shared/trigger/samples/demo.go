package samples

import (
	"bytes"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
)

// demoBrokers is the brokers line of events/demo.yaml that the embedded broker replaces.
const demoBrokers = `brokers: ["127.0.0.1:9092"]`

// DemoConfig is demo.yaml of fsys (events.FS) with the demo target's brokers replaced by brokers.
func DemoConfig(fsys fs.FS, brokers []string) ([]byte, error) {
	b, err := fs.ReadFile(fsys, "demo.yaml")
	if err != nil {
		return nil, err
	}
	if !bytes.Contains(b, []byte(demoBrokers)) {
		return nil, fmt.Errorf("demo.yaml has no line %s to replace", demoBrokers)
	}
	q := make([]string, len(brokers))
	for i, a := range brokers {
		q[i] = strconv.Quote(a)
	}
	return bytes.Replace(b, []byte(demoBrokers), []byte("brokers: ["+strings.Join(q, ", ")+"]"), 1), nil
}
