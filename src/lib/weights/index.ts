/**
 * Published weights in their own formats: TFLite flatbuffers (TF-slim MobileNets) and torch.save state dicts
 * (torchvision), parsed without TensorFlow or PyTorch, and mapped onto our layers. `loadPretrained` in the models
 * layer builds the registered model a file fits and loads it.
 */
export * from './tflite';
export * from './tflite-mobilenet';
export * from './torch';
export * from './torch-map';
export * from './download';
