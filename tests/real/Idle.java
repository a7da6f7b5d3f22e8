// SPDX-License-Identifier: GPL-2.0
// An ExecutorService that ran a few tasks, then sits idle. Prints "ready".
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

public class Idle {
	public static void main(String[] args) throws Exception {
		ExecutorService pool = Executors.newFixedThreadPool(4);
		List<Future<Integer>> done = new ArrayList<>();
		for (int i = 0; i < 16; i++) {
			final int n = i;
			done.add(pool.submit(() -> n * n));
		}
		for (Future<Integer> f : done)
			f.get();
		System.out.println("ready");
		System.out.flush();
		for (;;)
			Thread.sleep(3600 * 1000L);
	}
}
