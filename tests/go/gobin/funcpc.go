// SPDX-License-Identifier: GPL-2.0

package main

import "reflect"

func funcPC(f interface{}) uintptr {
	return reflect.ValueOf(f).Pointer()
}
