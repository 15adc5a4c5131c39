package samples

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// demoBrokers is the brokers line of events/demo.yaml that the embedded broker replaces.
const demoBrokers = `brokers: ["127.0.0.1:9092"]`

// DemoConfig is dir/demo.yaml with the demo target's brokers replaced by brokers.
func DemoConfig(dir string, brokers []string) ([]byte, error) {
	b, err := os.ReadFile(filepath.Join(dir, "demo.yaml"))
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
