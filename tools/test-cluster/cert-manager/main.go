// The test cluster's cert-manager: the controllers of cert-manager's controller binary that
// issue from CA and SelfSigned issuers, under a main of our own, run on the node as a process
// of scripts/test-cluster (not upstream's Deployment).
//
// Upstream's main (cmd/controller) is a module of its own that replaces the root module with
// its parent directory, and the module proxy serves only the root module,
// github.com/cert-manager/cert-manager: its controllers are public packages there
// (pkg/controller/...), each registering itself with pkg/controller when imported. This main
// imports the ones below, builds their context with pkg/controller.NewContextFactory (the
// defaults of upstream's configuration: 20 QPS, burst 50, 5 workers a controller, a
// CertificateRequest's backoff 1h to 32h) and runs them, as upstream's app does.
//
// Left out (not imported, so not built): the ACME issuer and its orders and challenges, the
// Vault and Venafi issuers (their SDKs, half the build; nothing here could reach an ACME server,
// a Vault or a Venafi anyway), the ingress and Gateway shims (certificates from Ingress and
// Gateway annotations), the kube CertificateSigningRequest signers (alpha upstream), the
// certificates-metrics controller; leader election (one controller on a one-node cluster);
// the healthz and pprof servers; the config file and feature-gate flags (upstream's defaults).
//
// Serves /metrics (certificates, issuers, controller syncs) on --metrics-listen-address.
// Exits non-zero when a controller cannot be built or stops with an error.
package main

import (
	"context"
	"errors"
	"flag"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/klog/v2"

	"github.com/cert-manager/cert-manager/pkg/controller"
	logf "github.com/cert-manager/cert-manager/pkg/logs"

	// The controllers: each registers itself with pkg/controller.
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/approver"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/ca"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/selfsigned"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/issuing"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/keymanager"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/readiness"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/requestmanager"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/revisionmanager"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/trigger"
	_ "github.com/cert-manager/cert-manager/pkg/controller/clusterissuers"
	_ "github.com/cert-manager/cert-manager/pkg/controller/issuers"
	// The issuer types the (Cluster)Issuer controllers set up and check (Ready).
	_ "github.com/cert-manager/cert-manager/pkg/issuer/ca"
	_ "github.com/cert-manager/cert-manager/pkg/issuer/selfsigned"
)

// Every controller imported above; main refuses to start unless each one registered.
var controllers = sets.New(
	"issuers", "clusterissuers",
	"certificates-trigger", "certificates-issuing", "certificates-key-manager",
	"certificates-request-manager", "certificates-readiness", "certificates-revision-manager",
	"certificaterequests-approver", "certificaterequests-issuer-ca", "certificaterequests-issuer-selfsigned",
)

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of the controller's user")
	clusterResourceNamespace := flag.String("cluster-resource-namespace", "cert-manager",
		"where the Secrets a ClusterIssuer references live (a CA ClusterIssuer's key pair)")
	metricsAddress := flag.String("metrics-listen-address", "127.0.0.1:9402", "where /metrics is served")
	workers := flag.Int("concurrent-workers", 5, "workers of each controller")
	klog.InitFlags(nil) // -v: cert-manager logs its steps at 2 (info) and 4 (debug)
	flag.Parse()
	logf.InitLogs()
	defer logf.FlushLogs()
	if *kubeconfig == "" {
		logf.Log.Error(nil, "--kubeconfig is required")
		os.Exit(2)
	}
	if err := run(*kubeconfig, *clusterResourceNamespace, *metricsAddress, *workers); err != nil {
		logf.Log.Error(err, "the cert-manager controller stopped")
		logf.FlushLogs()
		os.Exit(1)
	}
}

func run(kubeconfig, clusterResourceNamespace, metricsAddress string, workers int) error {
	signals, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	rootCtx := logf.NewContext(signals, logf.Log, "controller")
	log := logf.FromContext(rootCtx)
	g, rootCtx := errgroup.WithContext(rootCtx)

	for name := range controllers {
		if _, ok := controller.Known()[name]; !ok {
			return errors.New("controller " + name + " did not register itself")
		}
	}

	factory, err := controller.NewContextFactory(rootCtx, controller.ContextOptions{
		Kubeconfig:         kubeconfig,
		KubernetesAPIQPS:   20,
		KubernetesAPIBurst: 50,
		IssuerOptions:      controller.IssuerOptions{ClusterResourceNamespace: clusterResourceNamespace},
		CertificateOptions: controller.CertificateOptions{
			CopiedAnnotationPrefixes:                 []string{"*", "-kubectl.kubernetes.io/", "-fluxcd.io/", "-argocd.argoproj.io/"},
			CertificateRequestMinimumBackoffDuration: time.Hour,
			CertificateRequestMaximumBackoffDuration: 32 * time.Hour,
		},
	})
	if err != nil {
		return err
	}
	ctx, err := factory.Build()
	if err != nil {
		return err
	}

	listener, err := (&net.ListenConfig{}).Listen(rootCtx, "tcp", metricsAddress)
	if err != nil {
		return err
	}
	ctx.Metrics.SetupCertificateCollector(ctx.SharedInformerFactory.Certmanager().V1().Certificates().Lister())
	ctx.Metrics.SetupIssuerCollector(ctx.SharedInformerFactory.Certmanager().V1().Issuers().Lister())
	ctx.Metrics.SetupClusterIssuerCollector(ctx.SharedInformerFactory.Certmanager().V1().ClusterIssuers().Lister())
	metrics := ctx.Metrics.NewServer(listener)
	g.Go(func() error {
		<-rootCtx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return metrics.Shutdown(shutdown) //nolint:contextcheck
	})
	g.Go(func() error {
		if err := metrics.Serve(listener); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})

	for name := range controllers {
		iface, err := controller.Known()[name](factory)
		if err != nil {
			cancel()
			_ = g.Wait()
			return errors.New("building controller " + name + ": " + err.Error())
		}
		log.Info("starting controller", "controller", name)
		g.Go(func() error { return iface.Run(workers, rootCtx) })
	}
	ctx.SharedInformerFactory.Start(rootCtx.Done())
	ctx.KubeSharedInformerFactory.Start(rootCtx.Done())
	ctx.HTTP01ResourceMetadataInformersFactory.Start(rootCtx.Done())

	err = g.Wait()
	ctx.HTTP01ResourceMetadataInformersFactory.Shutdown()
	ctx.KubeSharedInformerFactory.Shutdown()
	ctx.SharedInformerFactory.Shutdown()
	if err != nil {
		return err
	}
	// Signalled: the controllers returned once the context ended.
	if signals.Err() == nil {
		return errors.New("the controllers exited unasked")
	}
	return nil
}
