// Pins the releases whose published CRD YAML the local control plane installs for the traffic routers
// (Istio's networking API, SMI's TrafficSplit); nothing is built here. See test/setup/router-crds.sh.
module sluice.dev/localcluster/routercrds

go 1.26.0

require (
	github.com/servicemeshinterface/smi-sdk-go v0.5.0 // indirect
	istio.io/api v1.32.0 // indirect
)
