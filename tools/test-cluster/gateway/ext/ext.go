// Package ext is Traefik's extension point of its dynamic configuration: a nested module that
// Traefik's module zip leaves out and a build supplies. A build without extensions, as here,
// gives each type no field.
package ext

// HTTP extends the HTTP configuration; no extension here.
type HTTP struct{}

// Router extends a router; no extension here.
type Router struct{}

// RouterIng extends a router made from Ingress annotations; no extension here.
type RouterIng struct{}

// ToRouter gives the router extension of an Ingress's.
func (RouterIng) ToRouter() Router { return Router{} }
