package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A Prometheus that answers every instant query with one sample of the given value.
func prometheusAnswering(t *testing.T, value string) *prometheusProvider {
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, `{"status":"success","data":{"resultType":"vector","result":[{"value":[1700000000,%q]}]}}`, value)
	}))
	t.Cleanup(server.Close)
	p, err := newPrometheusProvider(server.URL, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAValueBeyondMilliUnitsIsRefusedNotWrapped(t *testing.T) {
	if _, _, err := prometheusAnswering(t, "1e16").instantQuery(context.Background(), "q"); err == nil || !strings.Contains(err.Error(), "too large") {
		t.Fatalf("1e16 (1e19 milli-units, past int64): want an error saying too large, got %v", err)
	}
	q, _, err := prometheusAnswering(t, "2.5").instantQuery(context.Background(), "q")
	if err != nil || q.MilliValue() != 2500 {
		t.Fatalf("2.5: want 2500m, got %v, %v", q, err)
	}
}

func TestANameCannotCloseItsPromQLString(t *testing.T) {
	if got, want := promQLString(`web"} or vector(1e9) or x{a="`), `web\"} or vector(1e9) or x{a=\"`; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	if got := promQLString("checkout"); got != "checkout" {
		t.Fatalf("a plain name changed: %s", got)
	}
}
