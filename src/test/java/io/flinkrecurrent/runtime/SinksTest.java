package io.flinkrecurrent.runtime;

import io.flinkrecurrent.flink.KeyState;
import io.flinkrecurrent.flink.RecurrentOptions;
import org.apache.flink.streaming.api.operators.KeyContext;
import org.apache.flink.streaming.runtime.tasks.TestProcessingTimeService;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Both step sinks without an operator: a target that keeps each key's state in a map and records the
 * outputs, the key context it is called under, and the per-event and micro-batched sinks stepping the
 * same events to the same outputs per key.
 */
class SinksTest {
    /** The core's part: each key's state in a map, each output as "key#seq=y", the current key checked. */
    static final class Target implements StepTarget<String>, KeyContext {
        final KeyStepper stepper = KeyStepperTest.stepper(RecurrentOptions.DEFAULTS);
        final Map<Object, KeyState> states = new HashMap<>();
        final List<String> outputs = new ArrayList<>();
        Object currentKey;

        @Override
        public KeyState prepare(String event, Object key, long ts, long now) {
            assertEquals(key, currentKey, "prepared under its own key");
            return stepper.prepare(states.get(key), false, ts, now);
        }

        @Override
        public void stepped(String event, Object key, KeyState ks, long seq, boolean fromZero, float[] x, float[] y,
                            long ts, long now) {
            assertEquals(key, currentKey, "written under its own key");
            states.put(key, ks);
            outputs.add(key + "#" + seq + "=" + y[0]);
        }

        @Override public void setCurrentKey(Object key) { currentKey = key; }
        @Override public Object getCurrentKey() { return currentKey; }
    }

    static final String[] KEYS = {"a", "b", "a", "c", "a", "b"};
    static final float[] XS = {3, 1, 3, 2, 3, 1};

    static void submitAll(StepSink<String> sink, Target t) throws Exception {
        for (int i = 0; i < KEYS.length; i++) {
            t.setCurrentKey(KEYS[i]);
            sink.nextInput()[0] = XS[i];
            sink.submit("e" + i, KEYS[i], 100 + i, 0);
        }
    }

    static List<String> byKey(List<String> outputs) {
        List<String> sorted = new ArrayList<>(outputs);
        sorted.sort(null);
        return sorted;
    }

    @Test
    void perEventStepsAtOnce() throws Exception {
        Target t = new Target();
        PerEventSink<String> sink = new PerEventSink<>(t, t.stepper, 1);
        sink.install(t.stepper.model());
        submitAll(sink, t);
        assertEquals(List.of("a#0=2.0", "b#0=4.0", "a#1=-4.0", "c#0=3.0", "a#2=-16.0", "b#1=2.0"), t.outputs);
        assertFalse(sink.holds("a"));
    }

    @Test
    void microBatchedGivesEachKeyTheSameOutputsAndRestoresTheCurrentKey() throws Exception {
        Target perEvent = new Target();
        PerEventSink<String> one = new PerEventSink<>(perEvent, perEvent.stepper, 1);
        one.install(perEvent.stepper.model());
        submitAll(one, perEvent);

        Target t = new Target();
        TestProcessingTimeService time = new TestProcessingTimeService();
        MicroBatchSink<String> sink = new MicroBatchSink<>(t, t.stepper, t, time, 16, 5, 1);
        sink.install(t.stepper.model());
        submitAll(sink, t);
        assertTrue(t.outputs.isEmpty(), "bundled, not stepped yet");
        assertTrue(sink.holds("c"));
        assertFalse(sink.holds("d"));
        t.setCurrentKey("z");
        sink.flush();
        assertEquals("z", t.currentKey, "the sink restores the caller's current key");
        assertEquals(byKey(perEvent.outputs), byKey(t.outputs));
        assertEquals(List.of("a#0=2.0", "b#0=4.0", "c#0=3.0", "a#1=-4.0", "b#1=2.0", "a#2=-16.0"), t.outputs,
                "round by round: each key's first events, then their second, then the third");
        assertEquals(0, sink.size());
    }

    @Test
    void aBundleIsSteppedWhenFullAndWithinItsDelay() throws Exception {
        Target t = new Target();
        TestProcessingTimeService time = new TestProcessingTimeService();
        time.setCurrentTime(1_000);
        MicroBatchSink<String> sink = new MicroBatchSink<>(t, t.stepper, t, time, 4, 5, 1);
        sink.install(t.stepper.model());
        submitAll(sink, t);
        assertEquals(4, t.outputs.size(), "the first four when the bundle was full");
        assertEquals(2, sink.size());
        time.setCurrentTime(1_004);
        assertEquals(4, t.outputs.size(), "not before the delay");
        time.setCurrentTime(1_005);
        assertEquals(6, t.outputs.size(), "the rest on the delay's timer");
    }
}
