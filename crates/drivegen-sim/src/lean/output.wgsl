#define_import_path drivegen::lean_output

// What Bevy's PBR shader does last on a view without HDR: tonemapping, then dither.
#import bevy_pbr::mesh_view_bindings::view
#ifdef TONEMAP_IN_SHADER
#import bevy_core_pipeline::tonemapping::{tone_mapping, screen_space_dither}
#import bevy_render::maths::powsafe
#endif

fn finish(lit: vec4<f32>, frag_coord: vec2<f32>) -> vec4<f32> {
    var color = lit;
#ifdef TONEMAP_IN_SHADER
    color = tone_mapping(color, view.color_grading);
#ifdef DEBAND_DITHER
    var rgb = powsafe(color.rgb, 1.0 / 2.2);
    rgb += screen_space_dither(frag_coord);
    color = vec4(powsafe(rgb, 2.2), color.a);
#endif
#endif
    return color;
}
