/**
 * Compact-net operations as tfjs layers (with pure tensor kernels beside them).
 *
 * Cost convention shared by every op here: parameters are what the layer stores as weights;
 * MACs count only convolution / fully-connected multiply-accumulates, so shifts (fixed, active,
 * sparse), channel shuffle and channel split/slice all report 0 MACs.
 */
export {
  GroupConv2D,
  GroupConv2DArgs,
  groupConv2d,
  groupConv2dTensor,
  GroupConvPadding,
  InitializerSpec,
} from './group-conv';
export {
  ChannelShuffle,
  ChannelShuffleArgs,
  channelShuffle,
  channelShuffleTensor,
  channelUnshuffleTensor,
} from './channel-shuffle';
export { ChannelSlice, ChannelSliceArgs, channelSlice, channelSplit, channelSplitHalves } from './channel-split';
export { Shift, ShiftArgs, shift, shiftOffsets, shiftTensor, ShiftOffsetsInput } from './shift';
export { ActiveShift, ActiveShiftArgs, activeShift, activeShiftTensor, ActiveShiftOptions } from './active-shift';
export {
  SparseShift,
  SparseShiftArgs,
  SparseShiftInitialisation,
  sparseShift,
  sparseShiftTensor,
  SparseShiftOptions,
  sparseShiftStats,
  SparseShiftStats,
} from './sparse-shift';
