//go:build !no_huawei

package targets

import (
	"offsetreset/shared/provider/huaweikafka"
	"offsetreset/shared/provider/huaweirocketmq"
)

func init() {
	register("huaweikafka", huaweikafka.New)
	register("huaweirocketmq", huaweirocketmq.New)
}
