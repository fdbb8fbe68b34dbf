#!/bin/sh
# Regenerates contract.pb.go and contract_grpc.pb.go from contract.proto.
# Needs protoc (Debian protobuf-compiler) and, on PATH or in $(go env GOPATH)/bin:
#   go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
#   go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.2
# Usage: gen.sh [OUTDIR]   (default: this directory)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here}
PATH="$PATH:$(go env GOPATH)/bin"
export PATH
protoc -I "$here" \
	--go_out="$out" --go_opt=paths=source_relative \
	--go-grpc_out="$out" --go-grpc_opt=paths=source_relative \
	"$here/contract.proto"
