package io.flinkrecurrent.nab;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * A picture of one NAB file: the values, the labelled windows (shaded), the anomaly score, the
 * threshold, and the detections at it (marks on the value plot). Plain Java 2D, headless.
 */
public final class NabPlot {
    private static final int W = 1400;
    private static final int H = 620;
    private static final int LEFT = 70;
    private static final int RIGHT = 20;

    private NabPlot() {}

    /**
     * @param values    the file's values
     * @param scores    the detector's score per row
     * @param threshold rows scoring at or above it are detections
     */
    public static void draw(Path png, String title, NabScorer.LabelledFile file, float[] values, double[] scores,
                            double threshold) throws IOException {
        System.setProperty("java.awt.headless", "true");
        BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, W, H);
        int n = values.length;
        int plotW = W - LEFT - RIGHT;
        int vTop = 50;
        int vH = 330;
        int sTop = vTop + vH + 40;
        int sH = 140;
        int probation = NabScorer.probation(n);
        // windows and probation
        g.setColor(new Color(255, 228, 196));
        for (int[] w : file.windows()) {
            int x0 = LEFT + (int) ((long) w[0] * plotW / n);
            int x1 = LEFT + (int) ((long) (w[1] + 1) * plotW / n);
            g.fillRect(x0, vTop, Math.max(1, x1 - x0), sTop + sH - vTop);
        }
        g.setColor(new Color(235, 235, 235));
        g.fillRect(LEFT, vTop, (int) ((long) probation * plotW / n), sTop + sH - vTop);
        // frames
        g.setColor(Color.GRAY);
        g.drawRect(LEFT, vTop, plotW, vH);
        g.drawRect(LEFT, sTop, plotW, sH);
        // values
        float lo = Float.POSITIVE_INFINITY;
        float hi = Float.NEGATIVE_INFINITY;
        for (float v : values) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        float span = hi > lo ? hi - lo : 1;
        g.setColor(new Color(31, 119, 180));
        g.setStroke(new BasicStroke(1f));
        int px = -1;
        int py = -1;
        for (int i = 0; i < n; i++) {
            int x = LEFT + (int) ((long) i * plotW / n);
            int y = vTop + vH - (int) ((values[i] - lo) / span * (vH - 10)) - 5;
            if (px >= 0) {
                g.drawLine(px, py, x, y);
            }
            px = x;
            py = y;
        }
        // scores and threshold
        g.setColor(new Color(44, 160, 44));
        px = -1;
        for (int i = 0; i < n; i++) {
            int x = LEFT + (int) ((long) i * plotW / n);
            int y = sTop + sH - (int) (Math.max(0, Math.min(1, scores[i])) * (sH - 4)) - 2;
            if (px >= 0) {
                g.drawLine(px, py, x, y);
            }
            px = x;
            py = y;
        }
        int ty = sTop + sH - (int) (threshold * (sH - 4)) - 2;
        g.setColor(Color.RED);
        g.setStroke(new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f));
        g.drawLine(LEFT, ty, LEFT + plotW, ty);
        // detections (scored rows only)
        g.setStroke(new BasicStroke(2f));
        int detections = 0;
        for (int i = probation; i < n; i++) {
            if (scores[i] >= threshold) {
                int x = LEFT + (int) ((long) i * plotW / n);
                int y = vTop + vH - (int) ((values[i] - lo) / span * (vH - 10)) - 5;
                g.drawOval(x - 5, y - 5, 10, 10);
                g.drawLine(x, sTop, x, sTop + sH);
                detections++;
            }
        }
        // labels
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        g.drawString(title, LEFT, 28);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        g.drawString(String.format(Locale.ROOT, "value (%.3g .. %.3g)", lo, hi), LEFT + 5, vTop + 15);
        g.drawString(String.format(Locale.ROOT, "anomaly score; threshold %.4f (dashed); %d detection%s (red); "
                        + "labelled windows shaded; probation grey", threshold, detections, detections == 1 ? "" : "s"),
                LEFT + 5, sTop + 15);
        g.drawString(file.timestamps().get(0), LEFT, sTop + sH + 18);
        String last = file.timestamps().get(n - 1);
        g.drawString(last, LEFT + plotW - g.getFontMetrics().stringWidth(last), sTop + sH + 18);
        g.dispose();
        Files.createDirectories(png.toAbsolutePath().getParent());
        ImageIO.write(img, "png", png.toFile());
    }

    /** The values column of a NAB data file (gzipped or not). */
    public static float[] values(Path csv) throws IOException {
        List<String> lines = NabScorer.readLines(csv);
        float[] v = new float[lines.size() - 1];
        int n = 0;
        for (int i = 1; i < lines.size(); i++) {
            String l = lines.get(i);
            if (!l.isBlank()) {
                v[n++] = Float.parseFloat(l.substring(l.indexOf(',') + 1).trim());
            }
        }
        return java.util.Arrays.copyOf(v, n);
    }
}
