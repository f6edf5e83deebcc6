package auth

import (
	"net/http"
	"strings"
)

// CheckSecret reports whether password matches secret, a hash in one of the forms BasicAuth
// reads (its prefix chooses the comparison, as in CheckAuth).
func CheckSecret(password, secret string) bool {
	compare := compareFuncs[0].compare
	for _, candidate := range compareFuncs[1:] {
		if strings.HasPrefix(secret, candidate.prefix) {
			compare = candidate.compare
			break
		}
	}
	return compare([]byte(secret), []byte(password)) == nil
}

// RequireAuthStale asks for credentials after a stale nonce. The fork says `stale=true` so a
// client retries without asking its user; this build asks again as RequireAuth does (the test
// cluster's Gateway has no digest authentication).
func (a *DigestAuth) RequireAuthStale(w http.ResponseWriter, r *http.Request) {
	a.RequireAuth(w, r)
}
