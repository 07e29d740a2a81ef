package io.flinkrecurrent.flink;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** An operator that starts from its updates, restored while its events still wait for the first model. */
class AwaitingModelRestoreTest {
    static KeyedOneInputStreamOperatorTestHarness<String, KeyedEvent, RecurrentOutput> harness() throws Exception {
        Recurrent.Builder b = Recurrent.builderAwaitingModel(1)
                .options(o -> o.bufferLimits(10, 3, RecurrentOptions.BufferFullPolicy.REJECT))
                .updates(StreamExecutionEnvironment.getExecutionEnvironment()
                        .fromData(TypeInformation.of(ModelUpdate.class), ModelUpdate.stopShadow()));
        var h = new KeyedOneInputStreamOperatorTestHarness<>(b.operator(), Recurrent.keySelector(), Types.STRING);
        h.setup();
        return h;
    }

    static List<String> rejected(KeyedOneInputStreamOperatorTestHarness<String, KeyedEvent, RecurrentOutput> h) {
        List<String> l = new ArrayList<>();
        var side = h.getSideOutput(Recurrent.REJECTED);
        if (side != null) {
            for (StreamRecord<RejectedEvent> r : side) {
                l.add(r.getValue().reason + " " + r.getValue().key + ": " + r.getValue().message);
            }
        }
        return l;
    }

    @Test
    void theSubtasksCountOfWaitingEventsSurvivesARestore() throws Exception {
        var h = harness();
        h.open();
        for (String key : List.of("a", "b", "c")) {
            h.processElement(new StreamRecord<>(new KeyedEvent(key, new float[] {1})));
        }
        OperatorSubtaskState snapshot = h.snapshot(1, 1);
        h.close();

        var restored = harness();
        restored.initializeState(snapshot);
        restored.open();
        restored.processElement(new StreamRecord<>(new KeyedEvent("d", new float[] {1})));
        assertEquals(List.of("BUFFER_FULL d: no model yet, and the subtask has 3 events waiting for one, its limit"),
                rejected(restored), "the three restored events count against the subtask's limit");
        restored.close();
    }
}
