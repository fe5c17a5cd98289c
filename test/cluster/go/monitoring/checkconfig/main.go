// Command checkconfig loads Prometheus configuration files with Prometheus's own loader, Kubernetes service
// discovery included, and prints the first error of each. Debian's promtool cannot do this for
// examples/prometheus/prometheus.yml: Debian builds Prometheus without the Kubernetes discovery.
package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/prometheus/prometheus/config"
	_ "github.com/prometheus/prometheus/discovery/kubernetes" // registers kubernetes_sd_configs
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: checkconfig prometheus.yml...")
		os.Exit(2)
	}
	failed := false
	for _, file := range os.Args[1:] {
		if _, err := config.LoadFile(file, false, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", file, err)
			failed = true
			continue
		}
		fmt.Printf("%s: ok\n", file)
	}
	if failed {
		os.Exit(1)
	}
}
