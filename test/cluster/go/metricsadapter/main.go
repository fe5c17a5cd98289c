// Command metrics-adapter serves the custom metrics API (custom.metrics.k8s.io) to the local control plane's
// HorizontalPodAutoscaler, with values read from Prometheus: the part of prometheus-adapter the tests need, built
// on the same library (sigs.k8s.io/custom-metrics-apiserver), because prometheus-adapter itself is not on the Go
// module proxy. It is an aggregated API server: kube-apiserver proxies to it and vouches for the caller with its
// front-proxy client certificate, and it asks kube-apiserver whether that caller may read the metric.
//
// Each --object-metric is <resource>/<metric>=<PromQL template>; the template sees .Namespace and .Name of the
// described object, and the query must return one sample, e.g.
//
//	--object-metric 'rollouts.sluice.dev/queue_depth=sum(queue_depth{namespace="{{.Namespace}}",rollout="{{.Name}}"})'
package main

import (
	"context"
	"net"
	"os"
	"os/signal"
	"syscall"

	"k8s.io/component-base/logs"
	"k8s.io/klog/v2"

	basecmd "sigs.k8s.io/custom-metrics-apiserver/pkg/cmd"
)

type adapter struct {
	basecmd.AdapterBase
	prometheusURL string
	objectMetrics []string
	// The DNS name kube-apiserver expects on the serving certificate: <service>.<namespace>.svc of the APIService.
	serviceName string
}

func main() {
	logs.InitLogs()
	defer logs.FlushLogs()

	a := &adapter{}
	a.Name = "sluice-metrics-adapter"
	a.Flags().StringVar(&a.prometheusURL, "prometheus-url", "", "Prometheus to query, e.g. http://127.0.0.1:9090")
	a.Flags().StringArrayVar(&a.objectMetrics, "object-metric", nil, "<resource>/<metric>=<PromQL template>, repeatable")
	a.Flags().StringVar(&a.serviceName, "service-name", "", "DNS name for the self-signed serving certificate (<service>.<namespace>.svc)")
	logs.AddFlags(a.Flags())
	if err := a.Flags().Parse(os.Args); err != nil {
		klog.Fatalf("flags: %v", err)
	}
	if a.prometheusURL == "" || a.serviceName == "" {
		klog.Fatalf("--prometheus-url and --service-name are required")
	}
	// kube-apiserver checks the certificate against the Service's name, which the library's default (localhost)
	// lacks. With --cert-dir the certificate is written there, so whoever registers the APIService can read its CA.
	if err := a.SecureServing.MaybeDefaultWithSelfSignedCerts("localhost", []string{a.serviceName}, []net.IP{net.ParseIP("127.0.0.1")}); err != nil {
		klog.Fatalf("serving certificate: %v", err)
	}

	mapper, err := a.RESTMapper()
	if err != nil {
		klog.Fatalf("REST mapper: %v", err)
	}
	p, err := newPrometheusProvider(a.prometheusURL, a.objectMetrics, mapper)
	if err != nil {
		klog.Fatalf("%v", err)
	}
	a.WithCustomMetrics(p)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := a.Run(ctx); err != nil {
		klog.Fatalf("metrics adapter: %v", err)
	}
}
