//go:build no_alibaba

package main

import (
	"errors"

	"offsetreset/shared/server"
)

// selfInvoker of a build without the Alibaba Cloud SDK (tag no_alibaba, used by `make sizes`):
// it cannot sign FC API calls, so deferred chat work runs in the request.
func selfInvoker(func(string) string) server.SelfInvoker {
	return server.NoSelfInvoke(errors.New("this build has no Alibaba Cloud SDK (tag no_alibaba), so it cannot invoke itself"))
}
