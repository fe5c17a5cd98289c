package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"text/template"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/metrics/pkg/apis/custom_metrics"

	"sigs.k8s.io/custom-metrics-apiserver/pkg/provider"
	"sigs.k8s.io/custom-metrics-apiserver/pkg/provider/helpers"
)

// prometheusProvider answers object metrics (one value for one named object) with an instant PromQL query.
// Metrics about a set of objects by label selector (what Pods metrics need) are not served: the tests' autoscaler
// reads an Object metric of the Rollout.
type prometheusProvider struct {
	prometheusURL string
	queries       map[provider.CustomMetricInfo]*template.Template
	mapper        apimeta.RESTMapper
	client        *http.Client
}

func newPrometheusProvider(prometheusURL string, objectMetrics []string, mapper apimeta.RESTMapper) (*prometheusProvider, error) {
	p := &prometheusProvider{
		prometheusURL: strings.TrimSuffix(prometheusURL, "/"),
		queries:       map[provider.CustomMetricInfo]*template.Template{},
		mapper:        mapper,
		client:        &http.Client{Timeout: 5 * time.Second},
	}
	for _, m := range objectMetrics {
		key, query, ok := strings.Cut(m, "=")
		res, metric, ok2 := strings.Cut(key, "/")
		if !ok || !ok2 || query == "" {
			return nil, fmt.Errorf("--object-metric %q: want <resource>/<metric>=<PromQL template>", m)
		}
		t, err := template.New(key).Option("missingkey=error").Parse(query)
		if err != nil {
			return nil, fmt.Errorf("--object-metric %q: %v", m, err)
		}
		info := provider.CustomMetricInfo{GroupResource: schema.ParseGroupResource(res), Namespaced: true, Metric: metric}
		p.queries[info] = t
	}
	return p, nil
}

func (p *prometheusProvider) GetMetricByName(ctx context.Context, name types.NamespacedName, info provider.CustomMetricInfo, metricSelector labels.Selector) (*custom_metrics.MetricValue, error) {
	t, ok := p.queries[info]
	if !ok {
		return nil, provider.NewMetricNotFoundError(info.GroupResource, info.Metric)
	}
	// The query is the whole selection: a metric selector would be silently ignored, so it is refused.
	if !metricSelector.Empty() {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("metric %s: metric selectors are not supported (got %s)", info.Metric, metricSelector))
	}
	// The names come from the request's path, not from a stored object: escaped, a name cannot close the PromQL
	// string it is written into and widen the query to other objects' series.
	var query strings.Builder
	if err := t.Execute(&query, types.NamespacedName{Namespace: promQLString(name.Namespace), Name: promQLString(name.Name)}); err != nil {
		return nil, err
	}
	value, at, err := p.instantQuery(ctx, query.String())
	if err != nil {
		return nil, err
	}
	if value == nil {
		return nil, provider.NewMetricNotFoundForError(info.GroupResource, info.Metric, name.Name)
	}
	ref, err := helpers.ReferenceFor(p.mapper, name, info)
	if err != nil {
		return nil, err
	}
	return &custom_metrics.MetricValue{
		DescribedObject: ref,
		Metric:          custom_metrics.MetricIdentifier{Name: info.Metric},
		Timestamp:       metav1.NewTime(at),
		Value:           *value,
	}, nil
}

func (p *prometheusProvider) GetMetricBySelector(_ context.Context, _ string, _ labels.Selector, info provider.CustomMetricInfo, _ labels.Selector) (*custom_metrics.MetricValueList, error) {
	return nil, provider.NewMetricNotFoundError(info.GroupResource, info.Metric)
}

func (p *prometheusProvider) ListAllMetrics() []provider.CustomMetricInfo {
	out := make([]provider.CustomMetricInfo, 0, len(p.queries))
	for info := range p.queries {
		out = append(out, info)
	}
	return out
}

// instantQuery returns the value of the query's only sample, or nil when the query matches no series (a metric
// that does not exist yet is "not found", which the autoscaler reports, rather than zero, which it would act on).
func (p *prometheusProvider) instantQuery(ctx context.Context, query string) (*resource.Quantity, time.Time, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.prometheusURL+"/api/v1/query?"+url.Values{"query": {query}}.Encode(), nil)
	if err != nil {
		return nil, time.Time{}, err
	}
	res, err := p.client.Do(req)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("prometheus: %v", err)
	}
	defer res.Body.Close()
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ResultType string `json:"resultType"`
			Result     []struct {
				Value [2]json.RawMessage `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
		return nil, time.Time{}, fmt.Errorf("prometheus answered %s: %v", res.Status, err)
	}
	if body.Status != "success" {
		return nil, time.Time{}, fmt.Errorf("PromQL %s: %s", query, body.Error)
	}
	if body.Data.ResultType != "vector" || len(body.Data.Result) > 1 {
		return nil, time.Time{}, fmt.Errorf("PromQL %s: want at most one sample, got %d of type %s", query, len(body.Data.Result), body.Data.ResultType)
	}
	if len(body.Data.Result) == 0 {
		return nil, time.Time{}, nil
	}
	var at float64
	var text string
	if err := json.Unmarshal(body.Data.Result[0].Value[0], &at); err != nil {
		return nil, time.Time{}, err
	}
	if err := json.Unmarshal(body.Data.Result[0].Value[1], &text); err != nil {
		return nil, time.Time{}, err
	}
	v, err := strconv.ParseFloat(text, 64)
	if err == nil && (math.IsNaN(v) || math.IsInf(v, 0)) {
		err = fmt.Errorf("not a number an autoscaler can use") // 0/0 in PromQL is NaN
	}
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("PromQL %s: value %q: %v", query, text, err)
	}
	// Milli-units, as the autoscaler compares them: 0.5 requests per second is 500m. Past int64's range the
	// conversion would wrap to a wrong value (even a negative one) that the autoscaler would act on: refused.
	if math.Abs(v*1000) >= math.MaxInt64 {
		return nil, time.Time{}, fmt.Errorf("PromQL %s: value %s is too large for a quantity in milli-units", query, text)
	}
	return resource.NewMilliQuantity(int64(v*1000), resource.DecimalSI), time.Unix(0, int64(at*1e9)), nil
}

// promQLString escapes text for the inside of a double-quoted PromQL string, whose escapes are Go's.
func promQLString(text string) string {
	quoted := strconv.Quote(text)
	return quoted[1 : len(quoted)-1]
}
