package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"strings"
	"sync"
	"time"
)

const (
	opMsg      = 2013
	moreToCome = 1 << 1
	maxMessage = 48 << 20
)

// writeCommands are the commands that change documents or collections; every other command
// (find, aggregate, getMore, hello…) goes through at once.
var writeCommands = map[string]bool{
	"insert": true, "update": true, "delete": true, "findandmodify": true,
	"create": true, "createindexes": true, "dropindexes": true, "drop": true,
	"dropdatabase": true, "renamecollection": true, "collmod": true,
}

// oneWrite is held from the moment a write command is passed on until its answer is back.
var oneWrite sync.Mutex

func serveOneWriteAtATime(ctx context.Context, front net.Listener, backSocket string) {
	go func() {
		<-ctx.Done()
		front.Close()
	}()
	for {
		client, err := front.Accept()
		if err != nil {
			if ctx.Err() == nil {
				log.Printf("accepting: %s", err)
			}
			return
		}
		go relay(client, backSocket)
	}
}

// relay passes one client's requests to FerretDB and its answers back, one request at a time:
// FerretDB v1 answers each request once (no exhaust, no moreToCome replies).
func relay(client net.Conn, backSocket string) {
	defer client.Close()
	back, err := dialBack(backSocket)
	if err != nil {
		log.Printf("reaching FerretDB: %s", err)
		return
	}
	defer back.Close()
	for {
		request, err := readMessage(client)
		if err != nil {
			return
		}
		write := isWrite(request)
		if write {
			oneWrite.Lock()
		}
		err = passOn(request, client, back)
		if write {
			oneWrite.Unlock()
		}
		if err != nil {
			return
		}
	}
}

func passOn(request []byte, client, back net.Conn) error {
	if _, err := back.Write(request); err != nil {
		return err
	}
	if expectsNoAnswer(request) {
		return nil
	}
	answer, err := readMessage(back)
	if err != nil {
		return err
	}
	_, err = client.Write(answer)
	return err
}

func dialBack(socket string) (net.Conn, error) {
	deadline := time.Now().Add(30 * time.Second)
	for {
		conn, err := net.Dial("unix", socket)
		if err == nil || time.Now().After(deadline) {
			return conn, err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func readMessage(r io.Reader) ([]byte, error) {
	var header [16]byte
	if _, err := io.ReadFull(r, header[:]); err != nil {
		return nil, err
	}
	length := int(binary.LittleEndian.Uint32(header[:4]))
	if length < 16 || length > maxMessage {
		return nil, fmt.Errorf("a message of %d bytes", length)
	}
	message := make([]byte, length)
	copy(message, header[:])
	if _, err := io.ReadFull(r, message[16:]); err != nil {
		return nil, err
	}
	return message, nil
}

func opCode(message []byte) uint32 { return binary.LittleEndian.Uint32(message[12:16]) }

func expectsNoAnswer(message []byte) bool {
	return opCode(message) == opMsg && binary.LittleEndian.Uint32(message[16:20])&moreToCome != 0
}

// isWrite says whether an OP_MSG's command (the first key of its body section) is a write.
func isWrite(message []byte) bool {
	if opCode(message) != opMsg {
		return false // OP_QUERY is only used for the first handshake
	}
	name, err := commandName(message[20:])
	return err == nil && writeCommands[strings.ToLower(name)]
}

func commandName(sections []byte) (string, error) {
	for len(sections) > 0 {
		kind := sections[0]
		sections = sections[1:]
		if len(sections) < 4 {
			break
		}
		size := int(binary.LittleEndian.Uint32(sections[:4]))
		if size < 5 || size > len(sections) {
			break
		}
		if kind == 0 { // the body: int32 size, then the first element's type byte and name
			end := bytes.IndexByte(sections[5:size], 0)
			if end < 0 {
				break
			}
			return string(sections[5 : 5+end]), nil
		}
		sections = sections[size:] // a document sequence: int32 size, identifier, documents
	}
	return "", errors.New("no body section")
}
