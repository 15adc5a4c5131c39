package targets

import "offsetreset/shared/provider/kafka"

func init() { register("kafka", kafka.New) }
