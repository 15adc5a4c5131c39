package samples

import (
	"context"
	"time"

	"bytes"
	"fmt"
	"io/fs"
	"offsetreset/events"
	"offsetreset/shared/config"
	"offsetreset/shared/demo"
	"offsetreset/shared/provider/kafka/kafkatest"
	"offsetreset/shared/server"
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

// StartDemo starts the demo broker (shared/demo data) and a service configured by demo.yaml
// against it, for tests of the trigger paths; close the cluster when done.
func StartDemo(ctx context.Context) (*kafkatest.Cluster, *server.Service, error) {
	k, err := demo.StartKafka(ctx, time.Now())
	if err != nil {
		return nil, nil, err
	}
	b, err := DemoConfig(events.FS, k.Addrs)
	if err == nil {
		var cfg *config.File
		if cfg, err = config.Parse(b); err == nil {
			var svc *server.Service
			if svc, err = server.New(cfg); err == nil {
				return k, svc, nil
			}
		}
	}
	k.Close()
	return nil, nil, err
}
