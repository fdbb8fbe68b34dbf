// Package contract holds the generated Go code of the Duo Workflow Service executor
// contract (contract.proto). The generated files are checked in so builds need no
// protoc; TestGeneratedCodeIsFresh fails when they are stale.
package contract

//go:generate sh gen.sh
