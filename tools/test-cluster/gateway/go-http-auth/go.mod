// go-http-auth v0.4.0 (which has no go.mod) with traefik_compat.go: scripts/test-cluster
// (build_traefik) adds the release's files here. Traefik builds against its own fork, which the
// module proxy does not serve; the fork's API beyond the release is the two functions there.
module github.com/abbot/go-http-auth

go 1.21

require (
	golang.org/x/crypto v0.56.0
	golang.org/x/net v0.58.0
)
