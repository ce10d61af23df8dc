// Command loadgen sends a steady stream of synthetic events at the gateway.
package main

import "fmt"

func main() { fmt.Println(perSecond(10)) }

// perSecond is the number of events sent each second for a given number of workers.
func perSecond(workers int) int { return workers * 2 }
