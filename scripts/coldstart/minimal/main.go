// Command minimal is the yardstick of `make bench-coldstart`: the smallest Go HTTP server that
// answers GET /healthz on $FC_CUSTOM_LISTEN_PORT, started the same way as the FC bootstrap.
package main

import (
	"io"
	"net/http"
	"os"
)

func main() {
	http.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, `{"status":"ok"}`) })
	http.ListenAndServe("0.0.0.0:"+os.Getenv("FC_CUSTOM_LISTEN_PORT"), nil)
}
