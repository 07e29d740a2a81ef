package io.flinkrecurrent.migration;

import io.flinkrecurrent.testing.Gates;
import org.apache.flink.api.common.JobID;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Metric;
import org.apache.flink.runtime.testutils.InMemoryReporter;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Puts a scenario's model updates exactly where it says, in a running job: the events are held before
 * each update ({@link ScenarioJobs}' gates) until the operator has seen every event before it (its
 * {@code events} counter), then the update is let go and the events only once every subtask runs it
 * (its {@code generation} gauge). The operator's metrics come through an {@link InMemoryReporter}.
 */
final class Steering {
    private Steering() {}

    /**
     * The updates of one phase: before the savepoint ({@code restored} false, the generator) or after it
     * (the restored job, whose operator counts events from the restore and whose sources count from
     * their restored positions).
     */
    static void updates(InMemoryReporter reporter, JobClient job, Scenario s, String run, boolean restored, int parallelism)
            throws Exception {
        for (int k = 0; k < s.updates.size(); k++) {
            Scenario.Update u = s.updates.get(k);
            if (restored != (u.beforeEvent >= s.savepointAt)) {
                continue;
            }
            awaitEvents(reporter, job, restored ? u.beforeEvent - s.savepointAt : u.beforeEvent);
            Gates.open(ScenarioJobs.updateGate(run, k));
            awaitGeneration(reporter, job, k + 1, parallelism);
            Gates.open(ScenarioJobs.eventsGate(run, u.beforeEvent));
        }
    }

    /** Until the operator's subtasks have seen {@code n} events in all (failing if the job ends first). */
    static void awaitEvents(InMemoryReporter reporter, JobClient job, long n) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        for (int round = 0; ; round++) {
            long seen = 0;
            for (Metric m : metrics(reporter, job.getJobID(), "events")) {
                seen += ((Counter) m).getCount();
            }
            if (seen == n) {
                return;
            }
            check(seen < n, "the operator saw " + seen + " events, more than the " + n + " before the hold");
            check(System.nanoTime() < deadline, "the operator saw " + seen + " of " + n + " events within 120 s");
            if (round % 10 == 9) {
                checkRunning(job);
            }
            Thread.sleep(20);
        }
    }

    static void awaitGeneration(InMemoryReporter reporter, JobClient job, long generation, int parallelism) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        for (int round = 0; ; round++) {
            int at = 0;
            for (Metric m : metrics(reporter, job.getJobID(), "generation")) {
                if (((Gauge<?>) m).getValue() instanceof Long g && g == generation) {
                    at++;
                }
            }
            if (at >= parallelism) {
                return;
            }
            check(System.nanoTime() < deadline, "the subtasks did not reach model generation " + generation + " within 120 s");
            if (round % 10 == 9) {
                checkRunning(job);
            }
            Thread.sleep(20);
        }
    }

    /** A job that ended while held (a failed restore): its failure, at once, rather than a timeout. */
    private static void checkRunning(JobClient job) throws Exception {
        if (job.getJobStatus().get(10, TimeUnit.SECONDS).isGloballyTerminalState()) {
            job.getJobExecutionResult().get(10, TimeUnit.SECONDS); // throws the job's failure
            throw new IllegalStateException("the job ended while its events were held");
        }
    }

    /** The job's metrics of this name in the operator's group {@code recurrent}, one per subtask. */
    static List<Metric> metrics(InMemoryReporter reporter, JobID job, String name) {
        List<Metric> out = new ArrayList<>();
        for (var e : reporter.getMetricsByGroup().entrySet()) {
            if (job.toString().equals(e.getKey().getAllVariables().get("<job_id>")) && e.getValue().containsKey(name)
                    && String.join(".", e.getKey().getScopeComponents()).contains("recurrent")) {
                out.add(e.getValue().get(name));
            }
        }
        return out;
    }

    static void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalStateException(message);
        }
    }
}
