// psa-check evaluates the pod templates of Kubernetes workloads against a Pod Security
// Standards level with the Pod Security Admission library itself (the code the API server
// runs), so the test suite proves the generated pods meet `restricted` without a cluster.
//
// Usage: kubectl kustomize overlays/prod | psa-check [-level restricted] [-version latest]
// Prints one line per violation and exits 1 when there is any; exits 2 on unreadable input.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
	"sigs.k8s.io/yaml"
)

type workload struct {
	name string
	meta *metav1.ObjectMeta
	spec *corev1.PodSpec
}

func main() {
	level := flag.String("level", "restricted", "Pod Security level: privileged, baseline or restricted")
	version := flag.String("version", "latest", "Pod Security version, e.g. v1.34 or latest")
	flag.Parse()

	parsedLevel, err := api.ParseLevel(*level)
	if err != nil {
		fail(err)
	}
	parsedVersion, err := api.ParseVersion(*version)
	if err != nil {
		fail(err)
	}
	levelVersion := api.LevelVersion{Level: parsedLevel, Version: parsedVersion}
	evaluator, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		fail(err)
	}
	workloads, err := read(os.Stdin)
	if err != nil {
		fail(err)
	}
	violations := 0
	for _, w := range workloads {
		for _, result := range evaluator.EvaluatePod(levelVersion, w.meta, w.spec) {
			if !result.Allowed {
				violations++
				fmt.Printf("%s: %s: %s\n", w.name, result.ForbiddenReason, result.ForbiddenDetail)
			}
		}
	}
	fmt.Printf("%d pod template(s) checked against %s:%s, %d violation(s)\n", len(workloads), *level, *version, violations)
	if violations > 0 || len(workloads) == 0 {
		os.Exit(1)
	}
}

// read returns the pod templates of every Deployment, StatefulSet and Pod in a YAML stream.
func read(input io.Reader) ([]workload, error) {
	reader := utilyaml.NewYAMLReader(bufio.NewReader(input))
	var workloads []workload
	for {
		document, err := reader.Read()
		if err == io.EOF {
			return workloads, nil
		}
		if err != nil {
			return nil, err
		}
		if len(bytes.TrimSpace(document)) == 0 {
			continue
		}
		var typed metav1.TypeMeta
		if err := yaml.Unmarshal(document, &typed); err != nil {
			return nil, err
		}
		switch typed.Kind {
		case "Deployment":
			var d appsv1.Deployment
			if err := yaml.UnmarshalStrict(document, &d); err != nil {
				return nil, err
			}
			workloads = append(workloads, workload{"Deployment/" + d.Name, &d.Spec.Template.ObjectMeta, &d.Spec.Template.Spec})
		case "StatefulSet":
			var s appsv1.StatefulSet
			if err := yaml.UnmarshalStrict(document, &s); err != nil {
				return nil, err
			}
			workloads = append(workloads, workload{"StatefulSet/" + s.Name, &s.Spec.Template.ObjectMeta, &s.Spec.Template.Spec})
		case "Pod":
			var p corev1.Pod
			if err := yaml.UnmarshalStrict(document, &p); err != nil {
				return nil, err
			}
			workloads = append(workloads, workload{"Pod/" + p.Name, &p.ObjectMeta, &p.Spec})
		}
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "psa-check:", err)
	os.Exit(2)
}
