package io.flinkrecurrent.anomaly.sql;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.api.java.typeutils.RowTypeInfo;
import org.apache.flink.connector.datagen.source.GeneratorFunction;
import org.apache.flink.types.Row;

import java.nio.file.Path;
import java.util.List;

/**
 * A corpus's files as rows {@code (k, t, m1, m2, ...)} from one source task: the files' rows taken in
 * turn, one of each file per round (so that the keys interleave), each file's rows in its order. The
 * files are read when the source opens (the function carries only their folder).
 */
final class CorpusRows implements GeneratorFunction<Long, Row> {
    private static final long serialVersionUID = 1L;
    private final String dir;
    private transient List<Series> corpus;
    /** Row i of the stream: its file and its row in the file. */
    private transient int[] file;
    private transient int[] row;

    CorpusRows(Path dir) {
        this.dir = dir.toString();
    }

    /** The rows' type: {@code k STRING, t BIGINT} and a DOUBLE column per metric, named as given. */
    static RowTypeInfo type(List<String> metrics) {
        TypeInformation<?>[] types = new TypeInformation<?>[2 + metrics.size()];
        String[] names = new String[types.length];
        types[0] = Types.STRING;
        names[0] = "k";
        types[1] = Types.LONG;
        names[1] = "t";
        for (int i = 0; i < metrics.size(); i++) {
            types[2 + i] = Types.DOUBLE;
            names[2 + i] = metrics.get(i);
        }
        return new RowTypeInfo(types, names);
    }

    /** The files' rows in the order the source emits them: file index and row index per stream row. */
    static int[][] order(List<Series> corpus) {
        int total = corpus.stream().mapToInt(Series::rows).sum();
        int[] file = new int[total];
        int[] row = new int[total];
        int n = 0;
        for (int r = 0; n < total; r++) {
            for (int f = 0; f < corpus.size(); f++) {
                if (r < corpus.get(f).rows()) {
                    file[n] = f;
                    row[n++] = r;
                }
            }
        }
        return new int[][] {file, row};
    }

    @Override
    public void open(SourceReaderContext context) throws Exception {
        corpus = Series.corpus(Path.of(dir));
        int[][] o = order(corpus);
        file = o[0];
        row = o[1];
    }

    @Override
    public Row map(Long i) {
        Series s = corpus.get(file[i.intValue()]);
        int r = row[i.intValue()];
        Object[] fields = new Object[2 + s.metrics()];
        fields[0] = s.name();
        fields[1] = s.times()[r];
        for (int m = 0; m < s.metrics(); m++) {
            fields[2 + m] = s.values()[r][m];
        }
        return Row.of(fields);
    }
}
