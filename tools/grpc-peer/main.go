// grpc-peer: a grpc-go client of the greeter configured only by a gRPC service config file,
// as a Go service calling a kuberpc service would be. It makes two calls without a deadline
// of its own and prints what it saw; the Rust test counts the attempts on the server.
//
// usage: grpc-peer <service-config.json> <host:port> <retried-name> <slow-name>
// Prints "retried <code> after <ms> ms; slow <code> after <ms> ms"; the Rust test judges.
//
// With PEER_TLS_DIR set it speaks mutual TLS as a Go service in a kuberpc system would: the
// certificate cert-manager's Secret holds (tls.crt, tls.key in that directory), the server's
// checked against its ca.crt for the name PEER_SERVER_NAME (default: the target's host).
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
)

// rawCodec sends and receives encoded messages as they are: the peer needs no generated code.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) { return *(v.(*[]byte)), nil }
func (rawCodec) Unmarshal(data []byte, v any) error {
	*(v.(*[]byte)) = append([]byte(nil), data...)
	return nil
}
func (rawCodec) Name() string { return "proto" }

// helloRequest encodes greeter.v1.HelloRequest{name}: field 1, length-delimited.
func helloRequest(name string) []byte {
	return append([]byte{0x0a, byte(len(name))}, name...)
}

// timed makes one call and says how it ended and how long it took.
func timed(conn *grpc.ClientConn, name string) (string, int64) {
	request, reply := helloRequest(name), []byte(nil)
	started := time.Now()
	err := conn.Invoke(context.Background(), "/greeter.v1.Greeter/SayHello", &request, &reply, grpc.ForceCodec(rawCodec{}))
	code := codes.OK
	if err != nil {
		code = status.Code(err)
	}
	return strings.ToUpper(toSnake(code.String())), time.Since(started).Milliseconds()
}

// toSnake turns grpc-go's code names (DeadlineExceeded) into the spec's (DEADLINE_EXCEEDED).
func toSnake(name string) string {
	var out strings.Builder
	previous := 'A'
	for _, r := range name {
		if r >= 'A' && r <= 'Z' && previous >= 'a' && previous <= 'z' {
			out.WriteByte('_')
		}
		out.WriteRune(r)
		previous = r
	}
	return out.String()
}

func run() error {
	if len(os.Args) != 5 {
		return fmt.Errorf("usage: grpc-peer <service-config.json> <host:port> <retried-name> <slow-name>")
	}
	config, err := os.ReadFile(os.Args[1])
	if err != nil {
		return err
	}
	transport, err := transportCredentials(os.Args[2])
	if err != nil {
		return err
	}
	conn, err := grpc.NewClient("dns:///"+os.Args[2],
		grpc.WithTransportCredentials(transport),
		grpc.WithDefaultServiceConfig(string(config)))
	if err != nil {
		return fmt.Errorf("the service config was refused: %w", err)
	}
	defer conn.Close()
	retriedCode, retriedMs := timed(conn, os.Args[3])
	slowCode, slowMs := timed(conn, os.Args[4])
	fmt.Printf("retried %s after %d ms; slow %s after %d ms\n", retriedCode, retriedMs, slowCode, slowMs)
	return nil
}

// transportCredentials: plaintext, or mutual TLS with the certificate in PEER_TLS_DIR.
func transportCredentials(target string) (credentials.TransportCredentials, error) {
	dir := os.Getenv("PEER_TLS_DIR")
	if dir == "" {
		return insecure.NewCredentials(), nil
	}
	certificate, err := tls.LoadX509KeyPair(filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key"))
	if err != nil {
		return nil, err
	}
	ca, err := os.ReadFile(filepath.Join(dir, "ca.crt"))
	if err != nil {
		return nil, err
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(ca) {
		return nil, fmt.Errorf("%s/ca.crt holds no PEM certificate", dir)
	}
	name := os.Getenv("PEER_SERVER_NAME")
	if name == "" {
		name, _, _ = net.SplitHostPort(target)
	}
	return credentials.NewTLS(&tls.Config{
		Certificates: []tls.Certificate{certificate},
		RootCAs:      roots,
		ServerName:   name,
		MinVersion:   tls.VersionTLS12,
	}), nil
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "grpc-peer:", err)
		os.Exit(1)
	}
}
