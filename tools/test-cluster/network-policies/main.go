// The test cluster's NetworkPolicy engine: kube-network-policies' (kind's agent) controller,
// sigs.k8s.io/kube-network-policies/pkg/networkpolicy, run on the node as a process of
// scripts/test-cluster instead of upstream's privileged DaemonSet.
//
// Its own command (cmd/main.go) does not fit this machine: it reads only the in-cluster
// configuration (here: --kubeconfig), and it puts packets on its NFQUEUE with an nftables
// `queue` rule, which this kernel lacks (CONFIG_NFT_QUEUE is not set), so it would log the
// failed batch and enforce nothing. The controller's nftables batch still fails here, and is
// harmless: scripts/test-cluster puts new pod-to-pod connections on the queue with an
// iptables NFQUEUE rule (xt_NFQUEUE) instead, without --queue-bypass, so nothing passes
// while this process is not reading the queue. Each verdict is the controller's own: the
// NetworkPolicies, pods and namespaces of its informers, ingress and egress.
//
// NRI stays enabled: v0.8.0 with NRI disabled dereferences its nil NRI plugin for any address
// the pod informer does not know yet (a panic on the packet path). The node's containerd 1.6
// serves no NRI socket, so the plugin only logs that it could not connect and knows no pods.
//
// Exits non-zero when the controller stops with an error (caches not synced, queue not bound).
package main

import (
	"context"
	"flag"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/sys/unix"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"
	"sigs.k8s.io/kube-network-policies/pkg/networkpolicy"
)

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of the engine's own user (list/watch pods, namespaces, networkpolicies; create events)")
	nodeName := flag.String("hostname-override", "", "the name of the node this engine runs on")
	queueID := flag.Int("nfqueue-id", 100, "the NFQUEUE the iptables rule puts new connections on")
	metrics := flag.String("metrics-bind-address", "127.0.0.1:9080", "where /metrics is served (kube_network_policies_packet_count counts verdicts)")
	klog.InitFlags(nil)
	flag.Parse()
	if *kubeconfig == "" || *nodeName == "" {
		klog.Error("--kubeconfig and --hostname-override are required")
		os.Exit(2)
	}

	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, unix.SIGINT)
	defer cancel()

	config, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		klog.ErrorS(err, "reading the kubeconfig", "path", *kubeconfig)
		os.Exit(1)
	}
	config.AcceptContentTypes = "application/vnd.kubernetes.protobuf,application/json"
	config.ContentType = "application/vnd.kubernetes.protobuf"
	config.UserAgent = "kube-network-policies"
	client, err := kubernetes.NewForConfig(config)
	if err != nil {
		klog.ErrorS(err, "creating the client")
		os.Exit(1)
	}
	factory := informers.NewSharedInformerFactory(client, 0)

	controller, err := networkpolicy.NewController(
		client,
		factory.Networking().V1().NetworkPolicies(),
		factory.Core().V1().Namespaces(),
		factory.Core().V1().Pods(),
		nil, nil, nil, nil, // no (Baseline)AdminNetworkPolicy
		networkpolicy.Config{
			FailOpen: false,
			QueueID:  *queueID,
			NodeName: *nodeName,
			// Only changes the nftables rules, which this kernel refuses anyway (see above).
			NetfilterBug1766Fix: false,
		},
	)
	if err != nil {
		klog.ErrorS(err, "creating the network policy controller")
		os.Exit(1)
	}

	http.Handle("/metrics", promhttp.Handler())
	go func() {
		if err := http.ListenAndServe(*metrics, nil); err != nil {
			klog.ErrorS(err, "serving /metrics", "address", *metrics)
			os.Exit(1)
		}
	}()

	factory.Start(ctx.Done())
	// Returns nil once the context ends (SIGTERM), an error when it cannot run: caches not
	// synced, the queue not bound.
	if err := controller.Run(ctx); err != nil {
		klog.ErrorS(err, "the network policy controller stopped")
		os.Exit(1)
	}
}
