package io.flinkrecurrent.model;

import io.flinkrecurrent.cell.RecurrentNetwork;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A model read from a file: the network, the architecture it was read as, the file's metadata, and
 * the tensors the file holds that are not part of the network (other modules of a larger state_dict).
 */
@io.flinkrecurrent.annotation.PublicEvolving
public record LoadedModel(Path file, RecurrentNetwork network, ModelConfig config,
                          Map<String, String> metadata, List<String> ignoredTensors) {}
