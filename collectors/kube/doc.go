// Package kube collects the Kubernetes side of a snapshot from a live API
// server with client-go, and normalises API objects for the evidence
// collector too.
package kube
