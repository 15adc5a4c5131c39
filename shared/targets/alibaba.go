//go:build !no_alibaba

package targets

import (
	"offsetreset/shared/provider/alikafka"
	"offsetreset/shared/provider/alirocketmq"
	"offsetreset/shared/provider/alirocketmq5"
)

func init() {
	register(alikafka.Kind, alikafka.New)
	register(alirocketmq.Kind, alirocketmq.New)
	register(alirocketmq5.Kind, alirocketmq5.New)
}
