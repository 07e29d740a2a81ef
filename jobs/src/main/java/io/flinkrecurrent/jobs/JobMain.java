package io.flinkrecurrent.jobs;

/**
 * The job jar's entry point: {@code flink run jobs/target/flink-recurrent.jar <job> [options]}, or the
 * REST API's {@code /jars/<id>/run} with the job's name as the first program argument. Never calls
 * System.exit: under the REST API this main runs inside the JobManager.
 */
public final class JobMain {
    private JobMain() {}

    public static void main(String[] args) throws Exception {
        if (args.length == 0 || Jobs.byName(args[0]) == null) {
            StringBuilder sb = new StringBuilder("usage: <job> [options]; jobs:");
            Jobs.ALL.forEach(j -> sb.append(' ').append(j.name()));
            throw new IllegalArgumentException((args.length == 0 ? "no job named. " : "unknown job '" + args[0] + "'. ") + sb);
        }
        Jobs.Job job = Jobs.byName(args[0]);
        try {
            Jobs.run(job, java.util.Arrays.copyOfRange(args, 1, args.length), false, System.out, System.err);
        } catch (io.flinkrecurrent.options.UsageException e) {
            throw new IllegalArgumentException(e.getMessage() + "\n\n" + job.usage(), e);
        }
    }
}
